export * from "./dist/provider/pulumi";
