# Run distutils' bdist_wininst off Windows: its config block is encoded with
# 'mbcs' (the Windows ANSI code page), which only Windows Python has; alias it
# to cp1252 (the ANSI code page of en-US Windows).
import codecs, runpy, sys
codecs.register(lambda name: codecs.lookup("cp1252") if name == "mbcs" else None)
sys.argv = ["setup.py", "-q", "bdist_wininst", "--plat-name=win32", "--title=installsift test package"]
runpy.run_path("setup.py", run_name="__main__")
