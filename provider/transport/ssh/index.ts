// The Runtime API socket on the far side of SSH, behind the byte-pipe interface: pipe.ts
// keeps one connection per member and opens a channel per command; handshake.ts sets a
// connection up (bounded per sshd, a dropped start tried again), with what auth.ts offers
// and known-hosts.ts trusts; exec-pipe.ts is the socat way round an sshd that refuses to
// forward to a unix socket.
export { SshPipe } from "./pipe";
