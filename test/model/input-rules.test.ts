// One rule for a weight (provider/input-rules.ts), whichever way it comes in: the CLI's
// --weight, the library's set weight and add-server, and the transport itself refuse the
// same values in the same words, before any member is asked (the member here is a socket
// nothing listens on: asking it would fail otherwise).
import assert from "node:assert/strict";
import { Cluster } from "../../provider/cluster/cluster";
import { applyServerAction } from "../../provider/cluster/actions";
import { addServer } from "../../provider/cluster/server-lifecycle";
import { isHcError } from "../../provider/errors";
import { checkWeight, isWeight, parseWeight, WEIGHT_RULE } from "../../provider/input-rules";
import { LIMITS } from "../../provider/policy";
import { formatWeight } from "../../provider/transport/types";
import { runCli, show } from "../cli/helpers";
import { deadSocket } from "../support/fake-members";

describe("one rule for a weight", function () {
  it("takes 0 to the largest weight and 0% to 100%, nothing else", function () {
    for (const w of [0, 1, LIMITS.maxWeight, "0%", "50%", "100%"] as const) assert.ok(isWeight(w), String(w));
    for (const w of [-1, LIMITS.maxWeight + 1, 1.5, NaN, "101%", "50", "5.5%", "%", "", null, undefined]) assert.ok(!isWeight(w), String(w));
    assert.equal(parseWeight(" 7 ", "--weight"), 7);
    assert.equal(parseWeight("50%", "--weight"), "50%");
    assert.throws(() => checkWeight(300), (e: Error) => isHcError(e, "HC_BAD_SPEC") && e.message === `weight must be ${WEIGHT_RULE}, not 300.`);
    assert.throws(() => formatWeight(300), (e: Error) => e instanceof RangeError && e.message === `a weight is ${WEIGHT_RULE}, not 300`);
  });

  it("is the same refusal from the CLI, set weight and add-server, before any member is asked", async function () {
    const member = await deadSocket();
    const cli = await runCli(["weight", "--backend", "myapp", "--server", "s1", "--weight", "300", member]);
    assert.equal(cli.code, 3, show(cli));
    assert.match(cli.stderr, new RegExp(`^--weight must be ${WEIGHT_RULE}, not 300;`), show(cli));

    const cluster = new Cluster([member]);
    try {
      await assert.rejects(applyServerAction(cluster, "myapp", "s1", "weight", { weight: "150%" }), (e: Error) => isHcError(e, "HC_BAD_SPEC") && e.message === `weight must be ${WEIGHT_RULE}, not "150%".`);
      // An added server takes an absolute weight only: HAProxy's `add server … weight N`.
      await assert.rejects(addServer(cluster, "myapp", "s9", "127.0.0.1:1", { weight: "50%" as unknown as number }), (e: Error) => isHcError(e, "HC_BAD_SPEC") && /^the weight of an added server must be a whole number from 0 to 256, not "50%"\.$/.test(e.message));
      await assert.rejects(addServer(cluster, "myapp", "s9", "127.0.0.1:1", { weight: LIMITS.maxWeight + 1 }), (e: Error) => isHcError(e, "HC_BAD_SPEC"));
    } finally {
      await cluster.close();
    }
  });
});
