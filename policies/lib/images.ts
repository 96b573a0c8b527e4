/** What the image policies share: the login servers known to exist, and reading every image. */
import { ContainerImage, containerImages } from "../../core/stack/workloads";
import { registryByLoginServer } from "../../core/stack/pull-pairs";
import { checkImage, ImageVerdict, LOGIN_SERVER } from "../../core/stack/images";
import { StackValidationArgs } from "@pulumi/policy";
import { topologyOf } from "./stack";
import { StackResource, Topology } from "../../core/stack/topology";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { PolicyConfigError } from "./config";

export const ALLOWED_LOGIN_SERVERS_SCHEMA: PolicyConfigJSONSchema = {
  type: "array",
  description:
    "Login servers of registries outside the stack that images may pull from, e.g. contosoacr.azurecr.io.",
  items: { type: "string", pattern: LOGIN_SERVER.source },
  default: [],
};

/** The stack's registries' login servers, plus config `allowedLoginServers`. */
export function knownLoginServers(
  policy: string,
  topo: Topology,
  config: Record<string, unknown>,
): Set<string> {
  const allowed = config.allowedLoginServers ?? [];
  if (
    !Array.isArray(allowed) ||
    allowed.some((s) => typeof s !== "string" || !LOGIN_SERVER.test(s.toLowerCase()))
  ) {
    throw new PolicyConfigError(
      policy,
      "allowedLoginServers",
      allowed,
      "an array of login servers such as contosoacr.azurecr.io",
    );
  }
  return new Set([...registryByLoginServer(topo).keys(), ...allowed.map((s: string) => s.toLowerCase())]);
}

/** Every known container image of the stack's workloads; the first unknown one's path, for preview. */
export function stackImages(topo: Topology): {
  images: (ContainerImage & { workload: StackResource; image: string })[];
  pending?: string;
} {
  const images: (ContainerImage & { workload: StackResource; image: string })[] = [];
  let pending: string | undefined;
  for (const workload of topo.workloads) {
    for (const c of containerImages(workload)) {
      if (typeof c.image === "string") images.push({ ...c, workload, image: c.image });
      else if (c.image !== undefined) pending ??= `${workload.name}: ${c.path}`;
    }
  }
  return { images, pending };
}

/** Every known image of the stack's workloads with what it says about its registry. */
export function judgedImages(
  policy: string,
  args: StackValidationArgs,
): {
  images: (ContainerImage & { workload: StackResource; image: string; verdict: ImageVerdict })[];
  pending?: string;
} {
  const topo = topologyOf(args.resources);
  const known = knownLoginServers(policy, topo, args.getConfig() as Record<string, unknown>);
  const { images, pending } = stackImages(topo);
  return { images: images.map((i) => ({ ...i, verdict: checkImage(i.image, known) })), pending };
}
