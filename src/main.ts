/**
 * The service's entry point. Until the HTTP API lands it says what exists, so `npm start`
 * works on a fresh machine.
 */
console.log(
  [
    'compliance-ledger: the domain core (src/domain) and event stores (src/eventstore) are built;',
    'the HTTP API is not served yet. Run `npm test` to exercise them.',
  ].join('\n'),
);
