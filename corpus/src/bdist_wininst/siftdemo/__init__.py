"""installsift test package: a bdist_wininst installer made by Python 3.7's distutils."""
__version__ = "1.0"
