/**
 * What the reports say of a policy, declared beside its check in the policy's own file: the cause in
 * Microsoft's article it stands for (with the kubelet's symptom), the steps of the pull it reports
 * on (the edges trace's diagram marks), and why the program's plan leaves a finding of it, with the
 * config that would let the program fix it. `policies/policies.ts` gathers them into one registry.
 */
import type { Step } from "../../core/path/hop";

export interface LeftReason {
  /** Why no declaration of the program (AksAcrIntegration on one cluster and one registry) fixes it. */
  why: string;
  /** The config that would let the program fix it (or make the finding certain), or why none does. */
  config: string;
}

export interface PolicyGuide {
  /** The cause in Microsoft's article, with the symptom the kubelet prints. */
  cause: string;
  /**
   * What the kubelet prints for this policy's findings (the pod's event), placeholders where a finding
   * names its own IP or host; none for hygiene that fails no pull.
   */
  symptom?: string;
  /** The steps of the pull whose hops this policy reports (core/path); none for a hygiene policy. */
  steps?: Step[];
  left: LeftReason;
}

/** A policy file's guides, by public policy name (a check and its `-unverified` half). */
export type Guides = Record<string, PolicyGuide>;

export const NS = "aks-acr-guard";
export const WORKLOAD =
  "the workload is declared by the application's stack or manifests, not by this program, which declares only the " +
  "wiring between the cluster and the registry";
export const REGISTRY_OWNED =
  "the setting belongs to the registry's own declaration; the program does not own the registry, and declaring it " +
  "would take over every other setting of it";
export const UNVERIFIED =
  "the pack cannot tell from what it sees whether this cluster pulls from that registry, so the program does not " +
  "guess a fix for it";
export const PULLS =
  "policy config `pulls` ([{cluster, registry}]) makes the pair certain, then the mandatory half judges it";
