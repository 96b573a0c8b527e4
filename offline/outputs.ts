import * as pulumi from "@pulumi/pulumi";

/**
 * Resolves with an output's value once known (undefined for a value unknown in preview); rejects
 * with the error its computation threw, which `apply` alone would never surface.
 */
export function settled<T>(o: pulumi.Output<T> | T): Promise<T | undefined> {
  if (!pulumi.Output.isInstance(o)) return Promise.resolve(o as T);
  return (o as unknown as { promise(): Promise<T | undefined> }).promise();
}
