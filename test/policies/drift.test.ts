// aks-kubelet-identity-on-vmss, aks-sp-secret-valid, aks-sp-secret-expiring: 401 causes that live
// outside the stack, read from what AksAcrObserver recorded (or from declared resources).
import * as assert from "node:assert/strict";
import {
  daysFromNow,
  managedCluster,
  observer,
  prop,
  scaleSetRecord,
  servicePrincipal,
  servicePrincipalRecord,
} from "../fixtures/azure";
import { assertNoMandatory, assertSilent, assertViolation, usePolicyPack, withUnknown } from "../harness";

describe("drift outside the stack", () => {
  const { pack, run } = usePolicyPack();

  describe("aks-kubelet-identity-on-vmss", () => {
    const P = "aks-kubelet-identity-on-vmss";
    const aks = managedCluster("aks-prod");
    const kubelet = prop(aks, "identityProfile", "kubeletidentity", "resourceId");

    it("is silent when every node-pool scale set carries the kubelet identity", async () => {
      assertSilent(
        await run(P, [
          aks,
          observer([
            scaleSetRecord(aks, "system", [kubelet]),
            scaleSetRecord(aks, "user", [kubelet.toUpperCase()]),
          ]),
        ]),
      );
    });

    it("reports the scale set the kubelet identity was removed from, with the reconcile command", async () => {
      const bare = scaleSetRecord(aks, "user", []);
      assertViolation(
        await run(P, [aks, observer([scaleSetRecord(aks, "system", [kubelet]), bare])]),
        "mandatory",
        aks,
        `node pool scale set '${bare.name}'`,
        "401 Unauthorized",
        "solution 4",
        "az aks update -g rg-aks -n aks-prod",
      );
    });

    it("ignores scale sets of other node resource groups", async () => {
      const other = managedCluster("aks-other");
      assertSilent(await run(P, [aks, observer([scaleSetRecord(other, "system", [])])]));
    });

    it("reports nothing mandatory while the scale set's identities are not known", async () => {
      const rec = scaleSetRecord(aks, "system", []);
      (rec.identity as Record<string, unknown>).userAssignedIdentities =
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      assertNoMandatory(await run(P, [aks, observer([rec])]));
    });
  });

  describe("service-principal secrets", () => {
    const sp = servicePrincipal("sp-aks-prod");
    const spCluster = managedCluster("aks-sp", { servicePrincipalClientId: prop(sp, "clientId") });
    const withCredentials = (...ends: Date[]) => [spCluster, observer([servicePrincipalRecord(sp, ends)])];

    it("is silent while a credential of the cluster's service principal is valid", async () => {
      assertSilent(await run("aks-sp-secret-valid", withCredentials(daysFromNow(200))));
      assertSilent(await run("aks-sp-secret-valid", withCredentials(daysFromNow(-10), daysFromNow(200))));
      assertSilent(await run("aks-sp-secret-expiring", withCredentials(daysFromNow(200))));
    });

    it("reports an expired secret, with the commands that rotate it", async () => {
      const ended = daysFromNow(-3);
      assertViolation(
        await run("aks-sp-secret-valid", withCredentials(ended)),
        "mandatory",
        spCluster,
        "401 Unauthorized",
        `expired on ${ended.toISOString().slice(0, 10)}`,
        `az ad sp credential reset --id ${prop(sp, "clientId")}`,
        "az aks update-credentials -g rg-aks -n aks-sp --reset-service-principal",
      );
      assertSilent(await run("aks-sp-secret-expiring", withCredentials(ended)));
    });

    it("judges the very password the cluster's secret comes from when the stack shows it", async () => {
      const password = {
        type: "azuread:index/servicePrincipalPassword:ServicePrincipalPassword",
        name: "sp-aks-prod-password",
        props: {
          servicePrincipalId: `/servicePrincipals/${prop(sp, "objectId")}`,
          keyId: "k1",
          endDate: daysFromNow(-1).toISOString(),
          value: "(secret)",
        },
      };
      const cluster = { ...spCluster, propertyDependencies: { servicePrincipalProfile: [password] } };
      // Another credential is still valid, but the cluster was given the expired one.
      assertViolation(
        await run("aks-sp-secret-valid", [
          cluster,
          password,
          observer([servicePrincipalRecord(sp, [daysFromNow(300)])]),
        ]),
        "mandatory",
        cluster,
        "password 'sp-aks-prod-password'",
      );
    });

    it("warns within warnWithinDays of the end, configurably", async () => {
      const stack = withCredentials(daysFromNow(20));
      assertViolation(
        await run("aks-sp-secret-expiring", stack),
        "advisory",
        spCluster,
        "in 20 day(s)",
        "az aks update-credentials",
      );
      assertSilent(await run("aks-sp-secret-expiring", stack, { warnWithinDays: 10 }));
      await assert.rejects(
        pack().configure({ "aks-sp-secret-expiring": { warnWithinDays: 0 } }),
        /warnWithinDays.*>= 1/,
      );
    });

    it("reports nothing mandatory while the end date is not known", async () => {
      const rec = servicePrincipalRecord(sp, [daysFromNow(-3)]);
      (
        (rec.properties as Record<string, unknown>).passwordCredentials as Record<string, unknown>[]
      )[0].endDateTime = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      assertNoMandatory(await run("aks-sp-secret-valid", [spCluster, observer([rec])]));
    });

    it("judges nothing for a managed-identity cluster", async () => {
      assertSilent(
        await run("aks-sp-secret-valid", [managedCluster("aks-mi"), withUnknown(observer([]), "observed")]),
      );
    });
  });
});
