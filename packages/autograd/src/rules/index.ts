import { elementwiseRules } from './elementwise';
import { matMulRules } from './mat-mul';
import { movementRules } from './movement';
import { reduceRules } from './reduce';
import type { GradRule } from './rule';

const rules = new Map<string, GradRule>(
  Object.entries({ ...elementwiseRules, ...reduceRules, ...matMulRules, ...movementRules }),
);

/** Adds or replaces the gradient rule of a kernel (fused kernels register theirs this way). */
export function registerGradRule(kernel: string, rule: GradRule): void {
  rules.set(kernel, rule);
}

export function gradRuleOf(kernel: string): GradRule | undefined {
  return rules.get(kernel);
}

/** The kernels that have a gradient rule. */
export function differentiableKernels(): string[] {
  return [...rules.keys()];
}

export type { GradRule } from './rule';
