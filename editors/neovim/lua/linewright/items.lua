-- Suggestions as completion items (Neovim without vim.lsp.inline_completion, or
-- `inline = false`): vim.lsp.completion with autotrigger. Accepting an item runs its command
-- (linewright.didAccept); "shown" is reported when the menu selects one of our items.
--
-- vim.lsp.completion inserts a plain-text item's `word`: its text up to the first blank.
-- A suggestion is a whole line or block, so on accept the plugin replaces that word with
-- the item's full `textEdit.newText`.

local lw = require('linewright')

local M = {}

local function lsp_item(completed)
  local data = completed and completed.user_data
  local nvim = type(data) == 'table' and data.nvim or nil
  return nvim and nvim.lsp and nvim.lsp.completion_item
end

local function report_selection(bufnr)
  vim.api.nvim_create_autocmd('CompleteChanged', {
    buffer = bufnr,
    group = vim.api.nvim_create_augroup('linewright.items.' .. bufnr, { clear = true }),
    callback = function()
      local item = lsp_item(vim.v.event.completed_item)
      local client = lw.client(bufnr)
      if client then
        lw.notify_shown(client, lw.suggestion_id(item))
      end
    end,
  })
end

--- Replace what Vim inserted (from the item's start to the cursor) with the full text.
local function insert_full_text(bufnr, item)
  local edit = item.textEdit
  if not edit or not edit.range then
    return
  end
  local start = edit.range.start
  local cursor = vim.lsp.util.make_position_params(0, 'utf-16').position
  if cursor.line ~= start.line then
    return
  end
  vim.lsp.util.apply_text_edits({
    { range = { start = start, ['end'] = cursor }, newText = edit.newText },
  }, bufnr, 'utf-16')
  local lines = vim.split(edit.newText, '\n', { plain = true })
  local first = vim.api.nvim_buf_get_lines(bufnr, start.line, start.line + 1, true)[1]
  local col = vim.str_byteindex(first, 'utf-16', start.character, false)
  local last = #lines == 1 and col + #lines[1] or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { start.line + #lines, last })
end

local function on_accept(bufnr)
  vim.api.nvim_create_autocmd('CompleteDone', {
    buffer = bufnr,
    group = vim.api.nvim_create_augroup('linewright.accept.' .. bufnr, { clear = true }),
    callback = function()
      local item = lsp_item(vim.v.completed_item)
      if vim.v.event.reason == 'accept' and lw.suggestion_id(item) then
        insert_full_text(bufnr, item)
      end
    end,
  })
end

local function pum_key(key)
  return function()
    return vim.fn.pumvisible() == 1 and vim.keycode(key) or nil
  end
end

local function map(bufnr, lhs, action)
  if not lhs then
    return
  end
  vim.keymap.set('i', lhs, function()
    return action() or vim.keycode(lhs)
  end, { buffer = bufnr, expr = true, desc = 'Linewright completion' })
end

--- A suggestion often comes alone: without 'menuone' Vim shows no menu for one match.
local function show_single_items(bufnr)
  local info = vim.api.nvim_get_option_info2('completeopt', {})
  if info.global_local or info.scope == 'buf' then
    vim.api.nvim_set_option_value('completeopt', 'menu,menuone,noinsert,popup', { buf = bufnr })
  end
end

function M.enable(on, client, bufnr)
  vim.lsp.completion.enable(on, client.id, bufnr, { autotrigger = true })
end

--- Ask now (an Invoked request; the menu opens with the answer).
function M.trigger(_, bufnr)
  if bufnr == vim.api.nvim_get_current_buf() then
    vim.lsp.completion.get()
  end
end

function M.attach(_, bufnr, keymaps)
  show_single_items(bufnr)
  report_selection(bufnr)
  on_accept(bufnr)
  -- An item is the whole suggestion: "accept line" and "accept word" accept it too.
  map(bufnr, keymaps.accept, pum_key('<C-y>'))
  map(bufnr, keymaps.accept_line, pum_key('<C-y>'))
  map(bufnr, keymaps.accept_word, pum_key('<C-y>'))
  map(bufnr, keymaps.next, pum_key('<C-n>'))
  map(bufnr, keymaps.prev, pum_key('<C-p>'))
  map(bufnr, keymaps.dismiss, pum_key('<C-e>'))
  if keymaps.trigger then
    vim.keymap.set('i', keymaps.trigger, function() lw.trigger() end,
      { buffer = bufnr, desc = 'Linewright: ask for a suggestion' })
  end
end

return M
