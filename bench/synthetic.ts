/**
 * Synthetic stacks for the bench: the mix of a platform team's stack (a few clusters and
 * registries, their role assignments, identities, and many workloads and unrelated resources),
 * scaled to any size. Like a real stack it is mostly healthy: one workload in 200 has a misspelt
 * registry domain, so the violation path runs too without every workload being reported.
 */
import {
  guidFrom,
  kubeletPull,
  managedCluster,
  registry,
  resourceGroup,
  ROLE,
  roleAssignment,
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

/**
 * A platform stack: per team, a cluster with its own identities, a registry, the AcrPull of the
 * cluster's kubelet on it, and two Deployments of the team's images; with `providerPerCluster`,
 * each team's workloads run on a Kubernetes provider made from its cluster's kubeconfig (the pack
 * can tell which cluster runs them), without it on the default provider (it cannot).
 */
export function platformStack(size: number, providerPerCluster: boolean): PolicyResourceInput[] {
  const out: PolicyResourceInput[] = [];
  for (let t = 0; out.length < size; t++) {
    const aks = managedCluster(`aks-team${t}`);
    const acr = registry(`acrteam${t}`);
    out.push(aks, acr, kubeletPull(aks, acr, undefined, `pull-team${t}`));
    const provider: PolicyResourceInput | undefined = providerPerCluster
      ? {
          type: "pulumi:providers:kubernetes",
          name: `k8s-team${t}`,
          props: { kubeconfig: `server: https://${String(aks.props.fqdn)}:443` },
          propertyDependencies: { kubeconfig: [aks] },
        }
      : undefined;
    if (provider) out.push(provider);
    for (const app of ["web", "worker"]) {
      const w = deployment(`team${t}-${app}`, {
        containers: [{ image: `acrteam${t}.azurecr.io/${app}:1.${t}.0` }],
      });
      out.push(provider ? { ...w, provider } : w);
    }
    out.push(userAssignedIdentity(`id-team${t}`), resourceGroup(`rg-team${t}`));
  }
  return out.slice(0, size);
}

/**
 * A landing zone: four clusters and two registries, and thousands of role assignments of other
 * principals at other scopes (the subscription's RBAC), with the clusters' own AcrPull among them.
 */
export function landingZone(size: number): PolicyResourceInput[] {
  const clusters = [0, 1, 2, 3].map((i) => managedCluster(`aks-lz${i}`));
  const regs = [registry("lzacrshared"), registry("lzacrplatform")];
  const out: PolicyResourceInput[] = [...clusters, ...regs];
  clusters.forEach((c, i) => out.push(kubeletPull(c, regs[i % 2], undefined, `pull-lz${i}`)));
  for (let i = 0; out.length < size; i++) {
    const scope = i % 5 === 0 ? regs[i % 2] : resourceGroup(`rg-lz${i % 50}`);
    out.push(
      roleAssignment(`ra-${i}`, {
        principalId: guidFrom(`principal-${i}`),
        scope: String(scope.props.id),
        roleGuid: i % 3 === 0 ? ROLE.reader : i % 3 === 1 ? ROLE.contributor : ROLE.acrPull,
      }),
    );
  }
  return out;
}
