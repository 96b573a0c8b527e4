/**
 * `npm run demo [world.json]`: the offline preview of a recorded environment — findings, the plan
 * that fixes them, and the findings after. Exit 0 when nothing mandatory remains after the plan,
 * 1 when something does, 2 on bad input.
 */
import * as path from "node:path";
import { PolicyPackClient } from "../offline/analyzer";
import { offlinePreview } from "../offline/preview";
import { renderText } from "../offline/report";
import { loadWorld, WorldError } from "../offline/world";
import { ProgramConfigError } from "../core/program-config";

const DEFAULT_WORLD = path.join(__dirname, "..", "scenarios", "kubelet-without-acrpull", "world.json");

async function main(): Promise<number> {
  const file = process.argv[2] ?? DEFAULT_WORLD;
  const world = loadWorld(file);
  process.stderr.write("starting the policy pack...\n");
  const pack = await PolicyPackClient.start();
  try {
    const report = await offlinePreview(world, pack);
    process.stdout.write(renderText(path.relative(process.cwd(), file), report) + "\n");
    return report.after.some((d) => d.enforcementLevel === "mandatory") ? 1 : 0;
  } finally {
    await pack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    if (e instanceof WorldError || e instanceof ProgramConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  },
);
