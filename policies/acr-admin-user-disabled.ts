import { cmd } from "../core/findings/fix";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { kindOf } from "../core/stack/tokens";
import { readBool, readString, UNKNOWN } from "../core/stack/values";
import { deferToPreview, resourceOf } from "./lib/stack";
import { Guides, REGISTRY_OWNED } from "./lib/guide";

export const acrAdminUserDisabled: ResourceValidationPolicy = {
  name: "acr-admin-user-disabled",
  description:
    "The registry's admin account is off: pulls should use identities. Admin credentials are one shared " +
    "username and password that pull secrets copy, and regenerating them breaks every such secret.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/azure/container-registry/container-registry-authentication#admin-account",
  remediationSteps:
    "Pull with the kubelet identity (aks-acr-guard's AcrPullAccess), move pull secrets off the admin credentials, " +
    "then set adminUserEnabled: false or run `az acr update -n <registry> --admin-enabled false`.",
  validateResource: (args, reportViolation) => {
    if (kindOf(args.type) !== "registry") return;
    const res = resourceOf(args);
    const admin = readBool(res.props, "adminUserEnabled");
    if (admin === UNKNOWN) deferToPreview(`${res.name}: adminUserEnabled`);
    if (admin !== true) return;
    const name = readString(res.props, "name") ?? readString(res.props, "registryName");
    const shown = typeof name === "string" ? name : res.name;
    reportViolation(
      `Registry '${shown}' has its admin account enabled (adminUserEnabled: true). Pull secrets built from it fail with ` +
        '"401 Unauthorized" as soon as its password is regenerated (Microsoft\'s article, cause 1, solution 6), and ' +
        "anyone holding it can push.\n" +
        "Fix: pull with the kubelet identity (declare aks-acr-guard's AcrPullAccess), move any pull secret off the admin " +
        `credentials, then set adminUserEnabled: false, or run: ${cmd(`az acr update -n ${shown} --admin-enabled false`)}`,
    );
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  "acr-admin-user-disabled": {
    symptom:
      'ErrImagePull / ImagePullBackOff: "... 401 Unauthorized", for pull secrets built from the admin credentials, once its password is regenerated',
    cause: "Hygiene: the registry's admin user",
    left: { why: REGISTRY_OWNED, config: "none" },
  },
};
