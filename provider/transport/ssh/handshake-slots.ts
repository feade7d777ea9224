// How many SSH handshakes this process has in flight to one sshd at a time. Members are
// read all at once, and several load balancers behind one sshd (containers, a bastion,
// one host with several HAProxy instances) would otherwise all start their handshakes
// in the same millisecond.

/**
 * At most this many unauthenticated SSH connections from this process to one endpoint
 * (host:port as spelled, whatever the user). OpenSSH's default `MaxStartups 10:30:100`
 * starts dropping new connections at random once 10 are unauthenticated; 8 stays below
 * that with room for two from elsewhere (an operator's ssh, another run of this tool).
 * More would not finish sooner: a handshake is mostly sshd's own work (a process, a key
 * exchange, a signature check), which queues on the host's cores anyway.
 */
export const HANDSHAKES_PER_SSH_ENDPOINT = 8;

interface Endpoint {
  inFlight: number;
  waiting: Array<() => void>;
}

const endpoints = new Map<string, Endpoint>();

/** Gives the slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * Waits for a handshake slot to `endpoint` until `deadlineAt` (epoch ms): the release
 * function, or undefined if the deadline came first. Slots are handed out in order of asking.
 */
export function takeHandshakeSlot(endpoint: string, deadlineAt: number): Promise<ReleaseSlot | undefined> {
  let entry = endpoints.get(endpoint);
  if (!entry) endpoints.set(endpoint, (entry = { inFlight: 0, waiting: [] }));
  const slots = entry;
  const take = (): ReleaseSlot => {
    slots.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slots.inFlight--;
      const next = slots.waiting.shift();
      if (next) next();
      else if (slots.inFlight === 0) endpoints.delete(endpoint);
    };
  };
  if (slots.inFlight < HANDSHAKES_PER_SSH_ENDPOINT) return Promise.resolve(take());
  return new Promise((resolve) => {
    const turn = (): void => {
      clearTimeout(timer);
      resolve(take());
    };
    const timer = setTimeout(() => {
      slots.waiting.splice(slots.waiting.indexOf(turn), 1);
      resolve(undefined);
    }, Math.max(0, deadlineAt - Date.now()));
    slots.waiting.push(turn);
  });
}
