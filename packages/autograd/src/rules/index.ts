import { elementwiseRules } from './elementwise';
import { embeddingRule } from './embedding';
import { linearCrossEntropyRule } from './linear-cross-entropy';
import { matMulRules } from './mat-mul';
import { movementRules } from './movement';
import { recurrentRule } from './recurrent';
import { reduceRules } from './reduce';
import type { GradRule } from './rule';

/** Every kernel's gradient rule, the fused kernels' (recurrent, embedding, linearCrossEntropy) included. */
const rules = new Map<string, GradRule>(
  Object.entries({
    ...elementwiseRules,
    ...reduceRules,
    ...matMulRules,
    ...movementRules,
    recurrent: recurrentRule,
    embedding: embeddingRule,
    linearCrossEntropy: linearCrossEntropyRule,
  }),
);

/** Adds or replaces the gradient rule of a kernel (a user's own kernel registers its rule this way). */
export function registerGradRule(kernel: string, rule: GradRule): void {
  rules.set(kernel, rule);
}

/** The gradient rule of a kernel by name, or undefined when it has none. */
export function gradRuleOf(kernel: string): GradRule | undefined {
  return rules.get(kernel);
}

/** The kernels that have a gradient rule. */
export function differentiableKernels(): string[] {
  return [...rules.keys()];
}

export type { GradRule } from './rule';
