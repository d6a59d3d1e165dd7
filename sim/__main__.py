"""`python -m sim ...` is the same as `critical-mass ...`."""

from sim.cli import main

if __name__ == "__main__":
    main()
