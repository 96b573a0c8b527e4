// A second baseline: one stack policy that does nothing. @pulumi/policy deserializes the whole stack
// for every stack policy, so this shows what any stack policy costs before it reads anything.
const { PolicyPack } = require("@pulumi/policy");
new PolicyPack("noop-stack", {
  policies: [
    { name: "noop", description: "Does nothing.", enforcementLevel: "advisory", validateStack: () => {} },
  ],
});
