/**
 * Synthetic stacks for the bench: the mix of a platform team's stack (a few clusters and
 * registries, their role assignments, identities, and many workloads and unrelated resources),
 * scaled to any size. Like a real stack it is mostly healthy: one workload in 200 has a misspelt
 * registry domain, so the violation path runs too without every workload being reported.
 */
import {
  kubeletPull,
  managedCluster,
  registry,
  resourceGroup,
  userAssignedIdentity,
} from "../test/fixtures/azure";
import { deployment } from "../test/fixtures/kubernetes";
import { PolicyResourceInput } from "../offline/resources";

export function syntheticStack(size: number): PolicyResourceInput[] {
  const out: PolicyResourceInput[] = [];
  const clusters = Math.max(1, Math.round(size / 1000));
  const registries = Math.max(1, Math.round(size / 2000));
  const regs = Array.from({ length: registries }, (_, i) => registry(`contosoacr${i}`));
  out.push(...regs);
  for (let c = 0; c < clusters; c++) {
    const aks = managedCluster(`aks-${c}`);
    out.push(aks, ...regs.map((r, i) => kubeletPull(aks, r, undefined, `pull-${c}-${i}`)));
  }
  for (let i = 0; out.length < size; i++) {
    out.push(
      i % 3 === 0
        ? userAssignedIdentity(`id-${i}`)
        : i % 3 === 1
          ? resourceGroup(`rg-${i}`)
          : deployment(`app-${i}`, {
              containers: [
                {
                  image: `contosoacr${i % registries}.${i % 200 === 2 ? "azureacr.io" : "azurecr.io"}/app-${i}:1.0.${i}`,
                },
              ],
            }),
    );
  }
  return out;
}
