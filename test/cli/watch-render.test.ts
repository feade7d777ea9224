// The watch view's layout, from statistics as two members report them: it fits the
// terminal's width, narrow ones included, and marks what the members disagree on.
import assert from "node:assert/strict";
import { renderWatch } from "../../provider/cli/watch/render";
import { ClusterSnapshot } from "../../provider/cluster/cluster-snapshot";
import { HcError } from "../../provider/errors";
import { Snapshot } from "../../provider/model/snapshot";
import { parseStatsCsv } from "../../provider/stats/csv";

const csv = (app2: string) =>
  `# pxname,svname,scur,status,rate,hrsp_5xx,type,check_status\nweb,app1,3,UP,12,1,2,L7OK\nweb,app2-with-a-long-name,0,${app2},0,0,2,L7OK\nweb,BACKEND,3,UP,12,1,1,\n`;
const lb1 = "unix:/var/run/haproxy/lb1-admin.sock";
const lb2 = "http://lb2.example.com:8404/stats";
const lb3 = "tcp://10.0.0.3:9999";

function view(width: number, errors = new Map<string, HcError>(), lb1App2 = "DRAIN") {
  const members = errors.size > 0 ? [lb1, lb2, lb3] : [lb1, lb2];
  const snapshot = new ClusterSnapshot(
    members,
    new Map([
      [lb1, Snapshot.fromTable(lb1, parseStatsCsv(csv(lb1App2), lb1))],
      [lb2, Snapshot.fromTable(lb2, parseStatsCsv(csv("UP"), lb2))],
    ]),
    errors,
  );
  return renderWatch({ snapshot, backend: "web", backendIndex: 0, backendCount: 1, intervalSeconds: 2, paused: false, recent: [], reloads: new Map(), width, height: 24 }, (_style, text) => text);
}

describe("the watch view's layout", function () {
  it("shows state, sessions, rate and 5xx per member on a wide terminal, and marks a disagreement", function () {
    const lines = view(100);
    assert.ok(lines.every((l) => l.length <= 100), lines.join("\n"));
    assert.ok(lines.some((l) => /^  app1\s+UP s:3 r:12 5xx:1\s+UP s:3 r:12 5xx:1$/.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /^! app2-with-a-long-name\s+DRAIN s:0 r:0 5xx:0\s+UP s:0/.test(l)), lines.join("\n"));
    assert.ok(lines.includes("! members disagree on: app2-with-a-long-name"));
  });

  it("stays readable on a 40-column terminal: states only, names shortened, nothing wider than the screen", function () {
    const lines = view(40);
    assert.ok(lines.every((l) => l.length <= 40), lines.join("\n"));
    assert.ok(lines.some((l) => /^! app2-wit…\s+DRAIN\s+UP$/.test(l)), lines.join("\n"));
  });

  it("marks a server one member has and another lacks (added at run time there only, or forgotten by a reload) as a disagreement", function () {
    const withNew = `# pxname,svname,scur,status,rate,hrsp_5xx,type,check_status\nweb,app1,3,UP,12,1,2,L7OK\nweb,new1,0,UP,0,0,2,L7OK\nweb,BACKEND,3,UP,12,1,1,\n`;
    const without = `# pxname,svname,scur,status,rate,hrsp_5xx,type,check_status\nweb,app1,3,UP,12,1,2,L7OK\nweb,BACKEND,3,UP,12,1,1,\n`;
    const snapshot = new ClusterSnapshot(
      [lb1, lb2],
      new Map([
        [lb1, Snapshot.fromTable(lb1, parseStatsCsv(withNew, lb1))],
        [lb2, Snapshot.fromTable(lb2, parseStatsCsv(without, lb2))],
      ]),
      new Map(),
    );
    const lines = renderWatch({ snapshot, backend: "web", backendIndex: 0, backendCount: 1, intervalSeconds: 2, paused: false, recent: [], reloads: new Map(), width: 100, height: 24 }, (_style, text) => text);
    assert.ok(lines.some((l) => /^! new1\s+UP s:0 r:0 5xx:0\s+-$/.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /^  app1\s+UP/.test(l)), lines.join("\n"));
    assert.ok(lines.includes("! members disagree on: new1"), lines.join("\n"));
  });

  it("shows an unreadable member in its own line and in every cell of its column, without calling it a disagreement", function () {
    const lines = view(120, new Map([[lb3, new HcError("HC_MEMBER_UNREACHABLE", `${lb3}: connection refused.`, { member: lb3 })]]));
    assert.ok(lines.includes(`[3] ${lb3} UNREADABLE: ${lb3}: connection refused.`), lines.join("\n"));
    assert.ok(lines.some((l) => /^  app1\s+UP .*UNREADABLE$/.test(l)), lines.join("\n"));
  });

  it("never says the members agree while one of them cannot be read", function () {
    const refused = new Map([[lb3, new HcError("HC_MEMBER_UNREACHABLE", `${lb3}: connection refused.`, { member: lb3 })]]);
    const lines = view(120, refused, "UP");
    assert.ok(!lines.includes("members agree"), lines.join("\n"));
    assert.ok(lines.includes("agreement unknown: 1 of 3 members unreadable"), lines.join("\n"));
    assert.ok(view(120, new Map(), "UP").includes("members agree"), "every member read and agreeing");
  });
});
