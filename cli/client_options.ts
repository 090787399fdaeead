/**
 * `mosh-client`'s command line and environment, with mosh 1.4.0's syntax and messages:
 *
 * ```
 * MOSH_KEY=KEY mosh-client [-# 'ARGS'] [-v] IP PORT
 * mosh-client -c
 * ```
 * Unlike mosh, a malformed MOSH_KEY is refused here, before the terminal is touched, with a
 * message naming what is wrong (mosh shows it in the notification bar after taking the screen).
 *
 * @module
 */

import { Base64Key, KeyError } from "../core/crypto/key.ts";
import { versionBanner } from "./version.ts";

/** The prediction display modes. */
export type PredictMode = "always" | "never" | "adaptive" | "experimental";

/** What the client runs with. */
export interface ClientOptions {
  ip: string;
  port: number;
  key: Base64Key;
  verbose: number;
  predict: PredictMode;
  predictOverwrite: boolean;
}

/** Options, an action, or text to print with an exit status. */
export type ParsedClientArgs =
  | { options: ClientOptions }
  | { colors: true }
  | { exit: number; stdout: string; stderr: string };

/** The usage text. */
export function clientUsage(argv0: string): string {
  return `${
    versionBanner("mosh-client")
  }\nUsage: ${argv0} [-# 'ARGS'] IP PORT\n       ${argv0} -c\n`;
}

/**
 * Parses the arguments (without argv[0]) and the environment.
 * @param env MOSH_KEY, MOSH_PREDICTION_DISPLAY, MOSH_PREDICTION_OVERWRITE
 */
export function parseClientArgs(
  args: string[],
  env: Record<string, string | undefined>,
  argv0 = "mosh-client",
): ParsedClientArgs {
  const usage = clientUsage(argv0);
  if (args.includes("--help")) return { exit: 0, stdout: usage, stderr: "" };
  if (args.includes("--version")) {
    return { exit: 0, stdout: versionBanner("mosh-client"), stderr: "" };
  }
  let verbose = 0;
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const flag = a[j];
      if (flag === "#") {
        if (j + 1 === a.length) i++; // the wrapper's own arguments: ignored
        break;
      } else if (flag === "c") {
        return { colors: true };
      } else if (flag === "v") {
        verbose++;
      } else {
        return { exit: 1, stdout: "", stderr: `${argv0}: invalid option -- '${flag}'\n${usage}` };
      }
    }
  }
  if (operands.length !== 2) return { exit: 1, stdout: "", stderr: usage };
  const [ip, port] = operands;
  if (!/^\d*$/.test(port)) {
    return { exit: 1, stdout: "", stderr: `${argv0}: Bad UDP port (${port})\n\n${usage}` };
  }
  const keyText = env.MOSH_KEY;
  if (keyText === undefined) {
    return { exit: 1, stdout: "", stderr: "MOSH_KEY environment variable not found.\n" };
  }
  let key: Base64Key;
  try {
    key = Base64Key.parse(keyText);
  } catch (e) {
    const why = e instanceof KeyError ? e.message : String(e);
    return {
      exit: 1,
      stdout: "",
      stderr: `${argv0}: MOSH_KEY is not a valid session key: ${why}\n` +
        "It must be the 22-character key from the server's MOSH CONNECT line.\n",
    };
  }
  const mode = env.MOSH_PREDICTION_DISPLAY;
  let predict: PredictMode = "adaptive";
  if (mode !== undefined) {
    if (!["always", "never", "adaptive", "experimental"].includes(mode)) {
      return { exit: 1, stdout: "", stderr: `Unknown prediction mode ${mode}.\n` };
    }
    predict = mode as PredictMode;
  }
  return {
    options: {
      ip,
      port: Number(port),
      key,
      verbose,
      predict,
      predictOverwrite: env.MOSH_PREDICTION_OVERWRITE === "yes",
    },
  };
}
