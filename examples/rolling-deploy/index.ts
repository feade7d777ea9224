// Pulumi program in TypeScript: the same rolling deploy as index.js, for projects that set
// `main: index.ts` (the end-to-end tests run it so, with haproxy-cluster from npm pack, and
// type-check it against the package's published types with tsconfig.json).
// The chain and the app resource live in program.js and app-deployment.js (@ts-check JavaScript,
// typed through their JSDoc).
import * as cluster from "haproxy-cluster/pulumi";
import { RollingDeploy } from "haproxy-cluster";
import { rollingDeployProgram } from "./program";

// The root re-exports the same classes, loaded on first use.
const sameClass: typeof cluster.RollingDeploy = RollingDeploy;
void sameClass;

export = rollingDeployProgram(cluster);
