/**
 * The text the assertions read as a number ("42", " -1.5 ", "1e3"): one definition for the run-time
 * operators (./execute.ts) and the static checks (./static.ts), so both agree on what compares as a number.
 */
export const NUMERIC_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
