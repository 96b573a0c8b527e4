// The baseline the bench measures against: a @pulumi/policy pack with no policies, on the same node_modules.
const { PolicyPack } = require("@pulumi/policy");
new PolicyPack("empty", { policies: [] });
