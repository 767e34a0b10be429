/**
 * How a command-line script ends: with the exit code its main resolved with, or `failure` and the
 * message (not a stack) when it threw.
 */
export function exitWith(main: Promise<number>, failure: number): void {
  main.then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(failure);
    },
  );
}
