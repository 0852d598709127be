; Text objects for Verilog and SystemVerilog, named as in nvim-treesitter-textobjects.
; The grammar has no body nodes (items are direct children of their declaration), so
; only `.outer` objects exist for functions and classes.

; Functions
[
  (function_declaration)
  (task_declaration)
  (class_constructor_declaration)
] @function.outer

; Classes
[
  (module_declaration)
  (interface_declaration)
  (program_declaration)
  (package_declaration)
  (class_declaration)
] @class.outer

; Comments
(comment) @comment.outer

; Blocks
[
  (seq_block)
  (par_block)
  (generate_block)
] @block.outer

; Calls
[
  (tf_call)
  (system_tf_call)
  (method_call)
] @call.outer

; Conditionals
[
  (conditional_statement)
  (case_statement)
] @conditional.outer

; Loops
(loop_statement) @loop.outer

; Parameters
[
  (ansi_port_declaration)
  (tf_port_item1)
] @parameter.inner

; Returns
(jump_statement) @return.outer
