export {
  grad,
  grads,
  noGrad,
  type ValueAndGrad,
  type ValueAndGrads,
  type ValueAndGradsWithAux,
  valueAndGrad,
  valueAndGrads,
  valueAndGradsOf,
  valueAndGradsWithAux,
} from './grad';
export { type GradcheckOptions, type GradcheckResult, gradcheck } from './gradcheck';
export { differentiableKernels, type GradRule, gradRuleOf, registerGradRule } from './rules';
export { unbroadcast } from './rules/helpers';
export { Tape } from './tape';
