/**
 * What one step of the kubelet's pull says of one cluster and registry: the pulls that fail, by what
 * the stack or recording shows; the ones that fail unless something it does not show makes them work;
 * and the first value that waits on preview. `will` is how the messages say when: "will fail" for a
 * pull the stack shows, "would fail" for a guessed one, and the later wording for a hop that fails
 * behind an earlier one.
 */
import type { PullPair } from "../stack/pull-pairs";
import type { StackResource } from "../stack/topology";
import { known, readString } from "../stack/values";

/** The steps of a pull, in the order the kubelet takes them. */
export const STEPS = ["resolve", "route", "admit", "authenticate", "authorize", "content", "layers"] as const;
export type Step = (typeof STEPS)[number];

export interface HopVerdict {
  /** Messages of pulls that fail, by what the stack shows. */
  fails: string[];
  /** What the kubelet prints for the first of `fails` (the pod's event), where there is one. */
  symptom?: string;
  /** Messages of pulls that fail unless something the stack does not show makes them work. */
  unsure?: string[];
  /** The first value that waits on preview. */
  pending?: string;
  /**
   * The resolve step's fails that stand whatever the public path does (a linked zone without the
   * name answers NXDOMAIN: the pull never reaches an address). Also in `fails`.
   */
  standing?: string[];
  /**
   * Commands that fix it where no component can (someone else's resource): the plan gives them.
   * Components' fixes are the plan's own declarations.
   */
  commands?: string[];
}

export type HopJudge = (pair: PullPair, will: string) => HopVerdict;

/** What the path reads beside the topology: the pack's config, parsed. */
export interface PathOptions {
  /** Egress IPs the stack cannot show (a firewall managed elsewhere), taken as the cluster's. */
  egressIps?: readonly string[];
  /** Private IPs of firewalls or appliances outside the stack that routes may point at (aks-subnet-nsg-acr's config). */
  knownApplianceIps?: readonly string[];
  /** Role definition GUIDs the organisation counts as pull roles (aks-acr-pull-role's config). */
  pullRoleDefinitionIds?: readonly string[];
  /**
   * Whether to walk the authorize step too (default true). The network policies leave it out: it
   * is aks-acr-pull-role's, which reads the same evaluatePullAccess with its own config.
   */
  authorize?: boolean;
}

export const SYMPTOM_403 =
  'ErrImagePull / ImagePullBackOff: "failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden"';

/** A resource's ARM id, or its URN while it has none. */
export function idOf(r: StackResource): string {
  const id = readString(r.props, "id");
  return known(id) ? id : r.urn;
}
