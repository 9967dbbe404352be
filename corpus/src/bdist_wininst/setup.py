from distutils.core import setup
setup(name="siftdemo", version="1.0", description="installsift test package",
      author="installsift test corpus", packages=["siftdemo"])
