// Where the CLI writes: data on stdout, progress and errors on stderr, colour only on a
// terminal without NO_COLOR, and every line scrubbed of credentials before it leaves.

import { redactUrl } from "../member/redact";

export interface OutputOptions {
  quiet?: boolean;
  verbose?: boolean;
}

type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";
const SGR: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** The library's rule (member/redact.ts), under the name the CLI has always used. */
export const redactUrls = redactUrl;

function wantsColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export class Output {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly colorStdout: boolean;
  readonly colorStderr: boolean;
  // Passwords seen on the command line, in a file or the environment: replaced wherever they appear.
  readonly #secrets = new Set<string>();

  constructor(options: OutputOptions = {}) {
    this.quiet = options.quiet === true;
    this.verbose = options.verbose === true && !this.quiet;
    this.colorStdout = wantsColor(process.stdout);
    this.colorStderr = wantsColor(process.stderr);
  }

  /**
   * Registers a secret to scrub from all output. Secrets shorter than 4 characters are
   * not scrubbed as plain text (it would garble every line); URLs are scrubbed regardless.
   */
  addSecret(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 4) this.#secrets.add(secret);
  }

  scrub(text: string): string {
    let out = redactUrls(text);
    for (const s of this.#secrets) out = out.split(s).join("***");
    return out;
  }

  /** A line of data for machines and pipes (stdout). */
  data(text: string): void {
    process.stdout.write(`${this.scrub(text)}\n`);
  }

  /** Progress and results for people (stderr); `--quiet` silences them. */
  info(text: string): void {
    if (!this.quiet) process.stderr.write(`${this.scrub(text)}\n`);
  }

  /** Extra detail under `--verbose` (stderr). */
  detail(text: string): void {
    if (this.verbose) process.stderr.write(`${this.scrub(this.paintErr("dim", text))}\n`);
  }

  /** Always shown, even with `--quiet`. */
  warn(text: string): void {
    process.stderr.write(`${this.scrub(`${this.paintErr("yellow", "warning:")} ${text}`)}\n`);
  }

  /** Always shown: what went wrong and what to do. */
  error(text: string): void {
    process.stderr.write(`${this.scrub(text)}\n`);
  }

  paint(style: Style, text: string): string {
    return this.colorStdout ? wrap(style, text) : text;
  }

  paintErr(style: Style, text: string): string {
    return this.colorStderr ? wrap(style, text) : text;
  }

  /** Resolves once both streams have handed their buffers to the OS, so an exit loses nothing. */
  flush(): Promise<void> {
    const drain = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));
    return Promise.all([drain(process.stdout), drain(process.stderr)]).then(() => undefined);
  }
}

function wrap(style: Style, text: string): string {
  const [on, off] = SGR[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/** Pads cells to column widths, ignoring colour codes when measuring. */
export function formatTable(rows: string[][], gap = 2): string[] {
  const visible = (s: string) => s.replace(/\u001b\[\d+m/g, "").length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - visible(cell) + gap)))
      .join("")
      .trimEnd(),
  );
}

/** 66.66… → "66.7"; whole numbers without a decimal. */
export function formatPercent(percent: number): string {
  return Number.isInteger(percent) ? String(percent) : percent.toFixed(1);
}
