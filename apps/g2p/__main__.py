from suite.app import main

raise SystemExit(main("g2p"))
