// Counts the regular expressions run while a function runs (for code a cold start runs once,
// where each expression costs its compile on first use): RegExp.prototype's exec and test are
// wrapped for the call and put back after it. test() on an expression calls exec(), so one
// test() counts twice.
export function countRegexRuns<T>(run: () => T): { result: T; runs: number } {
  let runs = 0;
  const { exec, test } = RegExp.prototype;
  RegExp.prototype.exec = function (this: RegExp, s: string) {
    runs++;
    return exec.call(this, s);
  };
  RegExp.prototype.test = function (this: RegExp, s: string) {
    runs++;
    return test.call(this, s);
  };
  try {
    return { result: run(), runs };
  } finally {
    Object.assign(RegExp.prototype, { exec, test });
  }
}
