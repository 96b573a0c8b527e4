/**
 * The one shape every reader of a stack agrees on: a resource as a stack policy receives it, or as a
 * recording gives it, reduced to plain data. Apart from the topology so that what the topology reads
 * (workloads, pairs) can name it without importing the topology back.
 */

/** A resource as a stack policy receives it, reduced to plain data. */
export interface StackResource {
  type: string;
  urn: string;
  /** The Pulumi resource name (the logical name, not the Azure name). */
  name: string;
  /** Properties as deserialized: plain JSON, unknowns as the engine's sentinel strings. */
  props: Record<string, unknown>;
  /** URNs of the resources this one depends on. */
  dependencies: readonly string[];
  /** For each input property, the URNs of the resources its value came from. */
  propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** URN of the provider resource it was created with (Kubernetes resources: which cluster). */
  provider?: string;
}
