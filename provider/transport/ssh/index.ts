// The Runtime API socket on the far side of SSH, behind the byte-pipe interface: pipe.ts
// keeps one connection per member and opens a channel per command; exec-pipe.ts is the
// socat way round an sshd that refuses to forward to a unix socket; known-hosts.ts
// decides whether a host key is trusted.
export { SshPipe } from "./pipe";
