/**
 * Version banners. We report mosh 1.4.0 compatibility, and our own version, in mosh's shape.
 *
 * @module
 */

/** Our release. */
export const VERSION = "0.1.0";

/** The protocol version we speak. */
export const MOSH_COMPAT = "mosh 1.4.0";

/** The lines `--version` prints, after the program name. */
export function versionBanner(program: string): string {
  return `${program} (denomosh ${VERSION}, compatible with ${MOSH_COMPAT})\n` +
    "A Deno-native implementation of Mosh, the mobile shell.\n" +
    "License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>.\n" +
    "This is free software: you are free to change and redistribute it.\n" +
    "There is NO WARRANTY, to the extent permitted by law.\n";
}
