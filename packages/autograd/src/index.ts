export {
  grad,
  grads,
  noGrad,
  type ValueAndGrads,
  valueAndGrad,
  valueAndGrads,
  valueAndGradsOf,
  valueAndGradsWithAux,
} from './grad';
export { type GradcheckOptions, type GradcheckResult, gradcheck } from './gradcheck';
export { differentiableKernels, type GradRule, gradRuleOf, registerGradRule } from './rules';
export { unbroadcast } from './rules/helpers';
export { Tape } from './tape';
