// Where docs/errors.md takes each HC_* code from: the order and comments of provider/errors.ts
// (the `HcErrorCode` union), the meaning and what to do from the one table of codes,
// provider/error-codes.ts.

import ts from "typescript";
import { ERROR_CODES } from "../../provider/error-codes";
import type { HcErrorCode } from "../../provider/errors";
import { source } from "./fragments";

export interface ErrorCodeDoc {
  code: HcErrorCode;
  /** When it happens. */
  meaning: string;
  /** What to do about it. */
  advice: string;
}

/** The codes in the order provider/errors.ts declares them, with the comment beside each. */
export function declaredCodes(): Array<{ code: string; comment: string }> {
  const file = ts.createSourceFile("errors.ts", source("provider/errors.ts"), ts.ScriptTarget.ES2022, true);
  const codes: Array<{ code: string; comment: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTypeAliasDeclaration(node) && node.name.text === "HcErrorCode" && ts.isUnionTypeNode(node.type)) {
      for (const member of node.type.types) {
        if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) continue;
        const ranges = ts.getTrailingCommentRanges(file.text, member.end + (file.text[member.end] === ";" ? 1 : 0)) ?? [];
        const comment = ranges.map((r) => file.text.slice(r.pos, r.end).replace(/^\/\/\s?/, "")).join(" ");
        codes.push({ code: member.literal.text, comment });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return codes;
}

/** Every code with its meaning and what to do, in declaration order, from the one table of codes (provider/error-codes.ts). */
export function errorCodeDocs(): ErrorCodeDoc[] {
  return declaredCodes().map(({ code }) => {
    const row = ERROR_CODES[code as HcErrorCode];
    return { code: code as HcErrorCode, meaning: row.meaning, advice: row.whatToDo };
  });
}
