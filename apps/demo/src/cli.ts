#!/usr/bin/env node
import { Command } from 'commander';
import { runHello } from './hello';

const program = new Command()
  .name('recur-demo')
  .description('recur demo: recurrent networks in TypeScript')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command('hello', { isDefault: true })
  .description('run the Keras "hello" SimpleRNN with its given weights and print the predicted characters')
  .action(() => {
    const { predicted } = runHello();
    console.log('Keras "hello" SimpleRNN(3) + Dense(5) reads h e l l o and predicts, one step at a time:');
    console.log(predicted.join(' '));
  });

program.parse();
