export { type ValueAndGrads, grad, grads, noGrad, valueAndGrad, valueAndGrads, valueAndGradsOf } from './grad';
export { type GradcheckOptions, type GradcheckResult, gradcheck } from './gradcheck';
export { type GradRule, differentiableKernels, gradRuleOf, registerGradRule } from './rules';
export { unbroadcast } from './rules/helpers';
export { Tape } from './tape';
