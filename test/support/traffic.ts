// Steady keep-alive traffic through the rig's frontends, so HAProxy's counters move as
// they do in production: each of `connections` loops per URL sends GET / and waits
// `pauseMs` before the next. Counts answers by status so a test can say what users saw.
import http from "node:http";
import { setTimeout as delay } from "node:timers/promises";

export interface TrafficOptions {
  /** Frontend URLs (http://127.0.0.1:port); each gets its own connections. */
  urls: string[];
  /** Keep-alive connections per URL. Default 4. */
  connections?: number;
  /** Pause between one answer and the next request on a connection, ms. Default 20. */
  pauseMs?: number;
}

export interface Traffic {
  /** Answers seen so far, by HTTP status ("error" for a failed request). */
  readonly counts: ReadonlyMap<string, number>;
  readonly total: number;
  stop(): Promise<void>;
}

function get(agent: http.Agent, url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(String(res.statusCode)));
      res.on("error", () => resolve("error"));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve("error"));
  });
}

export function startTraffic(options: TrafficOptions): Traffic {
  const connections = options.connections ?? 4;
  const pauseMs = options.pauseMs ?? 20;
  const counts = new Map<string, number>();
  let total = 0;
  let running = true;
  const agents: http.Agent[] = [];
  const loops = options.urls.flatMap((url) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    agents.push(agent);
    return Array.from({ length: connections }, async () => {
      while (running) {
        const status = await get(agent, `${url}/`);
        counts.set(status, (counts.get(status) ?? 0) + 1);
        total++;
        // A pacing gap between requests, not a wait for some state.
        await delay(pauseMs);
      }
    });
  });
  return {
    counts,
    get total() {
      return total;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
    },
  };
}
