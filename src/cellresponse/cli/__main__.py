import sys

from cellresponse.cli import main

sys.exit(main())
