export { grad, grads, noGrad, type ValueAndGrads, valueAndGrad, valueAndGrads, valueAndGradsOf } from './grad';
export { type GradcheckOptions, type GradcheckResult, gradcheck } from './gradcheck';
export { differentiableKernels, type GradRule, gradRuleOf, registerGradRule } from './rules';
export { unbroadcast } from './rules/helpers';
export { LINEAR_CROSS_ENTROPY_SLOTS, type LinearCrossEntropySlot } from './rules/linear-cross-entropy';
export { RECURRENT_SLOTS, type RecurrentSlot } from './rules/recurrent';
export { Tape } from './tape';
