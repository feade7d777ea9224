// docs/errors.md: every HC_* code, what it means, what to do, and the CLI's exit status
// for it (from the same function the CLI uses).

import { STATE_NAMES, exitCodeFor } from "../../provider/cli/exit";
import { errorCodeDocs } from "./error-codes-source";
import { fragment } from "./fragments";
import { banner } from "./markdown";

export function errorsPage(): string {
  const sections = errorCodeDocs().map((e) => {
    const exit = exitCodeFor(e.code);
    return [`## ${e.code}`, "", `**When:** ${e.meaning}.`, "", `**What to do:** ${e.advice}.`, "", `CLI exit status when it ends a command: ${exit} (${STATE_NAMES[exit]}).`, ""].join("\n");
  });
  return [
    banner(["provider/errors.ts", "scripts/docs/error-codes-source.ts", "provider/cli/exit.ts", "scripts/docs/fragments/errors.md"]),
    "",
    "# Errors",
    "",
    fragment("errors.md")!.trimEnd(),
    "",
    ...sections,
  ].join("\n");
}
