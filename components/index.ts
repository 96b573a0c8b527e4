export { AcrPullAccess, AcrPullAccessArgs } from "./acr-pull-access";
