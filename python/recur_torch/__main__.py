from .train_ddp import main

main()
