"""The built-in rules, one module each. The registry imports every module here
(``rules.registry``), so adding a rule is adding a module."""
