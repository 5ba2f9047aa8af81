/** The PostgreSQL adapter: what the rest of the code base may use. */
export { isUnavailable } from './unavailable.ts';
