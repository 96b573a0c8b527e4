// Every policy of the pack, in CAUSES.md's order. Importing this list starts no server.
import { Policies } from "@pulumi/policy";
import { aksAcrPullRole } from "./aks-acr-pull-role";

export const policies: Policies = [aksAcrPullRole];
