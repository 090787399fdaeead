/** Placeholder until the programs exist (see the issues for the programs and the mosh command). */
console.error("denomosh: mosh_client is not implemented yet; see the project's issues.");
Deno.exit(1);
