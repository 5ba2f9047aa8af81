/**
 * `tsx bench/cpu-profile.ts <file.cpuprofile> [from to]`: the TOP functions a `node --cpu-prof`
 * profile (one per thread) spends its self time in, and the same summed per source file or
 * package, so a bench that misses its aim can name what limits it. With `from to` (seconds since
 * the profile began), only that window counts: the load, without the server's start (its
 * replay) before it and its closing checkpoint after.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const TOP = 25;
const [file, fromSecond = '0', toSecond = 'Infinity'] = process.argv.slice(2) as [
  string,
  ...string[],
];
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMicros = new Map<number, number>();
const at = profile.timeDeltas.map(
  (
    (sum) => (delta) =>
      (sum += delta)
  )(0),
);
const [from, to] = [Number(fromSecond) * 1e6, Number(toSecond) * 1e6];
profile.samples.forEach((id, i) => {
  if ((at[i] as number) < from || (at[i] as number) > to) return;
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);

/** A package under node_modules, a file of ours, or the engine itself ("(garbage collector)"). */
function placeOf({ url, functionName }: ProfileNode['callFrame']): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = url.split('node_modules/').at(-1) as string;
  if (inModules !== url) {
    const parts = inModules.split('/');
    return (parts[0]?.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
  }
  return url.replace(/^file:\/\//, '').replace(process.cwd(), '.');
}

const sum = (key: (frame: ProfileNode['callFrame']) => string) => {
  const sums = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    sums.set(key(frame), (sums.get(key(frame)) ?? 0) + micros);
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, micros]) => ({
      name,
      ms: Math.round(micros / 1000),
      share: `${((micros / total) * 100).toFixed(1)}%`,
    }));
};

console.log(`self time ${Math.round(total / 1000)} ms in ${profile.samples.length} samples`);
console.table(sum((f) => `${f.functionName || '(anonymous)'} ${placeOf(f)}:${f.lineNumber + 1}`));
console.table(sum(placeOf));
