import { SingleBar } from 'cli-progress';

/**
 * Progress on stderr (stdout stays clean for --json): a bar on a terminal, plain lines at every
 * tenth otherwise (CI logs, pipes).
 */
export function progress(label: string, total: number) {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(total, 0);
    return { update: (n: number) => bar.update(n), stop: () => bar.stop() };
  }
  let reported = 0;
  return {
    update(n: number) {
      const tenth = total === 0 ? 10 : Math.floor((n / total) * 10);
      if (tenth > reported) {
        reported = tenth;
        process.stderr.write(`${label}: ${n}/${total} events (${tenth * 10}%)\n`);
      }
    },
    stop() {},
  };
}
