// Every `az` command the pack and the program print for the bundled scenarios, run as printed
// through a parser of its subcommand's arguments (the ones these commands use, as the Azure CLI
// reference defines them): the subcommand exists, its required arguments are there, every argument
// is one it takes, no placeholder stands where the recording knows the value, and the priorities
// it sets are free in the recorded NSG or firewall policy.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { offlinePreview } from "../../offline/preview";
import { previewReportOf } from "../../offline/report";
import { loadWorld } from "../../offline/world";
import { REPO_ROOT, usePolicyPack } from "../harness";

interface Spec {
  /** Each required argument, with its aliases; one of a group is enough. */
  required: string[][];
  optional?: string[];
}
const COMMON = ["--subscription", "--query", "-o", "--output", "--only-show-errors", "--yes", "-y"];
const RG = ["-g", "--resource-group"];
const NAME = ["-n", "--name"];

/** The subcommands these commands use, with their arguments (Azure CLI reference). */
const AZ: Record<string, Spec> = {
  "aks update": {
    required: [RG, NAME],
    optional: [
      "--attach-acr",
      "--detach-acr",
      "--enable-managed-identity",
      "--assign-kubelet-identity",
      "--assign-identity",
      "--nrg-lockdown-restriction-level",
    ],
  },
  "aks update-credentials": {
    required: [RG, NAME, ["--reset-service-principal"], ["--service-principal"], ["--client-secret"]],
  },
  "aks upgrade": {
    required: [RG, NAME],
    optional: ["--kubernetes-version", "--node-image-only", "--control-plane-only"],
  },
  "aks nodepool upgrade": {
    required: [RG, ["--cluster-name"], NAME],
    optional: ["--kubernetes-version", "--node-image-only"],
  },
  "aks get-upgrades": { required: [RG, NAME] },
  "role assignment create": {
    required: [["--role"], ["--assignee", "--assignee-object-id"], ["--scope"]],
    optional: ["--assignee-principal-type", "--condition", "--condition-version", "--description"],
  },
  "role assignment delete": { required: [["--ids", "--assignee"]], optional: ["--role", "--scope"] },
  "ad sp credential reset": {
    required: [["--id"]],
    optional: ["--years", "--end-date", "--append", "--display-name"],
  },
  "ad group member check": { required: [["--group"], ["--member-id"]] },
  "network private-dns link vnet create": {
    required: [
      RG,
      ["-z", "--zone-name"],
      NAME,
      ["-v", "--virtual-network"],
      ["-e", "--registration-enabled"],
    ],
  },
  "network private-dns record-set a add-record": {
    required: [RG, ["-z", "--zone-name"], ["-n", "--record-set-name"], ["-a", "--ipv4-address"]],
  },
  "network private-dns record-set a remove-record": {
    required: [RG, ["-z", "--zone-name"], ["-n", "--record-set-name"], ["-a", "--ipv4-address"]],
    optional: ["--keep-empty-record-set"],
  },
  "network vnet peering create": {
    required: [RG, ["--vnet-name"], NAME, ["--remote-vnet"]],
    optional: [
      "--allow-vnet-access",
      "--allow-forwarded-traffic",
      "--allow-gateway-transit",
      "--use-remote-gateways",
    ],
  },
  "network vnet peering delete": { required: [RG, ["--vnet-name"], NAME] },
  "network vnet peering update": { required: [RG, ["--vnet-name"], NAME], optional: ["--set"] },
  "network vnet peering list": { required: [RG, ["--vnet-name"]] },
  "network nsg rule create": {
    required: [RG, ["--nsg-name"], NAME, ["--priority"]],
    optional: [
      "--direction",
      "--access",
      "--protocol",
      "--destination-port-ranges",
      "--destination-address-prefixes",
      "--source-address-prefixes",
      "--source-port-ranges",
    ],
  },
  "network nsg rule update": { required: [RG, ["--nsg-name"], NAME], optional: ["--priority", "--access"] },
  "network firewall policy rule-collection-group create": {
    required: [RG, ["--policy-name"], NAME, ["--priority"]],
  },
  "network firewall policy rule-collection-group collection add-filter-collection": {
    required: [
      RG,
      ["--policy-name"],
      ["--rule-collection-group-name", "--rcg-name"],
      NAME,
      ["--collection-priority"],
      ["--action"],
      ["--rule-name"],
      ["--rule-type"],
    ],
    optional: [
      "--source-addresses",
      "--destination-addresses",
      "--destination-ports",
      "--ip-protocols",
      "--protocols",
      "--target-fqdns",
      "--source-ip-groups",
    ],
  },
  "acr update": {
    required: [NAME],
    optional: [
      ...RG,
      "--public-network-enabled",
      "--default-action",
      "--admin-enabled",
      "--anonymous-pull-enabled",
      "--allow-trusted-services",
      "--sku",
    ],
  },
  "acr list": { required: [], optional: RG },
  "acr show": { required: [NAME], optional: RG },
  "acr login": { required: [NAME], optional: ["--expose-token"] },
  "acr network-rule add": { required: [NAME, ["--ip-address"]], optional: RG },
  "acr network-rule remove": { required: [NAME, ["--ip-address"]], optional: RG },
  "acr token create": {
    required: [["-r", "--registry"], NAME, ["--repository", "--scope-map"]],
    optional: ["--expiration", "--expiration-in-days"],
  },
  "acr repository show": { required: [NAME, ["--repository", "--image", "-t"]] },
  "acr private-endpoint-connection approve": {
    required: [["-r", "--registry-name"], NAME],
    optional: ["--description", ...RG],
  },
  "acr config authentication-as-arm update": { required: [["-r", "--registry"], ["--status"]], optional: RG },
};

/** Placeholders for what no recording holds: a new secret, a repository to scope a token to, a version to pick. */
const UNKNOWABLE = ["<repository>", "<next>", "<new-secret>", "<version>"];

/** Shell words: quotes kept together, `$(...)` as one word. */
function words(command: string): string[] {
  const out: string[] = [];
  const re = /\$\([^)]*\)|'[^']*'|"[^"]*"|\S+/g;
  for (const m of command.matchAll(re)) out.push(m[0]);
  return out;
}

/**
 * The `az` commands in a text: each from `az ` to the end of its command (a closing parenthesis,
 * `&&`, `;`, `,` or `.` ending a word, or prose), split at `&&`.
 */
export function azCommands(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(
    /(?<![\w-])az (?:[a-z][a-z-]* )+(?:--?[A-Za-z][\w-]*(?:[ =](?!-)(?:\$\([^)]*\)|'[^']*'|"[^"]*"|[^\s(),;`]+)(?: (?!-)(?:'[^']*'|[^\s(),;`&]+))*)?[ ]?)*/g,
  )) {
    const cmd = m[0].trim().replace(/[.,;]$/, "");
    found.push(cmd);
  }
  return found;
}

/** What is wrong with one command, as the Azure CLI would refuse it or a user would have to fill it in. */
function problemsOf(command: string): { sub: string; args: Map<string, string[]>; problems: string[] } {
  const w = words(command).slice(1);
  const firstFlag = w.findIndex((x) => x.startsWith("-"));
  const sub = (firstFlag < 0 ? w : w.slice(0, firstFlag)).join(" ");
  const problems: string[] = [];
  const spec = AZ[sub];
  const args = new Map<string, string[]>();
  let current: string | undefined;
  for (const x of firstFlag < 0 ? [] : w.slice(firstFlag)) {
    if (/^--?[A-Za-z]/.test(x)) {
      current = x.split("=")[0];
      args.set(current, x.includes("=") ? [x.slice(x.indexOf("=") + 1)] : []);
    } else if (current) args.get(current)!.push(x);
    else problems.push(`a stray word '${x}'`);
  }
  if (!spec) return { sub, args, problems: [`'az ${sub}' is not a subcommand this test knows`] };
  for (const group of spec.required)
    if (!group.some((a) => args.has(a))) problems.push(`lacks ${group.join("/")}`);
  const allowed = new Set([...spec.required.flat(), ...(spec.optional ?? []), ...COMMON]);
  for (const a of args.keys()) if (!allowed.has(a)) problems.push(`'az ${sub}' takes no ${a}`);
  for (const [a, values] of args)
    for (const v of values) {
      for (const p of v.match(/<[^>]+>/g) ?? [])
        if (!UNKNOWABLE.includes(p))
          problems.push(`${a} ${v}: a placeholder where the recording knows the value`);
      if (/^[^'"$]*\*/.test(v)) problems.push(`${a} ${v}: an unquoted * the shell expands`);
    }
  return { sub, args, problems };
}

/** Priorities the recording's NSGs and firewall policies hold, by NSG or policy name. */
function takenPriorities(world: ReturnType<typeof loadWorld>) {
  const nsg = new Map<string, Map<string, number>>();
  const policy = new Map<string, number[]>();
  for (const r of world.resources) {
    const type = r.type.toLowerCase();
    const props = (r.properties ?? {}) as Record<string, unknown>;
    if (type === "microsoft.network/networksecuritygroups") {
      const rules = (props.securityRules ?? []) as {
        name: string;
        properties?: { priority?: number; direction?: string };
      }[];
      nsg.set(
        r.name,
        new Map(
          rules
            .filter((x) => x.properties?.direction === "Outbound")
            .map((x) => [x.name, Number(x.properties?.priority)]),
        ),
      );
    }
    if (type === "microsoft.network/firewallpolicies/rulecollectiongroups") {
      const p = r.id.split("/")[8];
      policy.set(p, [...(policy.get(p) ?? []), Number(props.priority)]);
    }
  }
  return { nsg, policy };
}

describe("the az commands printed for the bundled scenarios", () => {
  const { pack } = usePolicyPack();
  const SCENARIOS = path.join(REPO_ROOT, "scenarios");

  it("finds the commands in a text, whole and split at &&", () => {
    assert.deepEqual(
      azCommands(
        "Fix: run az acr update -n x --public-network-enabled false, or (az aks update -g a -n b --attach-acr /x/y)." +
          " Then: SECRET=$(az ad sp credential reset --id 1 --query password -o tsv) && az aks get-upgrades -g a -n b",
      ),
      [
        "az acr update -n x --public-network-enabled false",
        "az aks update -g a -n b --attach-acr /x/y",
        "az ad sp credential reset --id 1 --query password -o tsv",
        "az aks get-upgrades -g a -n b",
      ],
    );
    assert.deepEqual(problemsOf("az network nsg rule create -g a --nsg-name b -n c").problems, [
      "lacks --priority",
    ]);
    assert.deepEqual(problemsOf("az acr show -n <registry>").problems, [
      "-n <registry>: a placeholder where the recording knows the value",
    ]);
  });

  for (const name of fs
    .readdirSync(SCENARIOS)
    .filter((n) => fs.existsSync(path.join(SCENARIOS, n, "world.json")))) {
    it(`'${name}': every command runs as printed`, async function () {
      this.timeout(60_000);
      const world = loadWorld(path.join(SCENARIOS, name, "world.json"));
      const report = previewReportOf(name, await offlinePreview(world, pack()));
      // Each sequence of commands runs in order on the recorded environment: a rule moved first frees its priority.
      const problems: string[] = [];
      const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      const sequences: string[][] = [
        ...[...report.findings, ...report.after].map((f) => {
          // Every command of a Fix line is one of its commands (a code span), none left in the prose.
          const loose = azCommands((f.fix?.text ?? "").replace(/`[^`]*`/g, ""));
          problems.push(...loose.map((c) => `a command outside the fix's commands\n    in: ${c}`));
          return [...(f.fix?.commands ?? []).flatMap(azCommands), ...azCommands(f.detail)];
        }),
        ...report.commands.map((c) => azCommands(c.command)),
        ...report.left.map((l) =>
          l.fix.flatMap((x) =>
            x.startsWith("run: ") ? azCommands(x.slice(5)) : spans(x).flatMap(azCommands),
          ),
        ),
      ];
      for (const sequence of sequences) {
        const taken = takenPriorities(world);
        for (const command of sequence) {
          const { sub, args, problems: p } = problemsOf(command);
          problems.push(...p.map((x) => `${x}\n    in: ${command}`));
          const priority = Number(args.get("--priority")?.[0]);
          const rules = taken.nsg.get(args.get("--nsg-name")?.[0] ?? "");
          const rule = args.get("-n")?.[0] ?? "";
          if (sub === "network nsg rule update" && rules?.has(rule) && args.has("--priority")) {
            if ([...rules].some(([n, q]) => n !== rule && q === priority))
              problems.push(`--priority ${priority} is taken in that NSG\n    in: ${command}`);
            rules.set(rule, priority);
          }
          if (sub === "network nsg rule create" && [...(rules?.values() ?? [])].includes(priority))
            problems.push(`--priority ${priority} is taken in that NSG\n    in: ${command}`);
          if (
            sub === "network firewall policy rule-collection-group create" &&
            taken.policy.get(args.get("--policy-name")?.[0] ?? "")?.includes(priority)
          )
            problems.push(`--priority ${priority} is taken in that firewall policy\n    in: ${command}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
