-- The kfunc-lsp server in headless Neovim (0.7.2+: vim.lsp.start_client, as Debian 12's neovim has no vim.lsp.start).
-- Usage: KFUNC_SERVER=dist/cli.js KFUNC_ROOT=<workspace> KFUNC_E2E_OUT=<json> nvim --headless -i NONE -n -u nvim-check.lua <file.c>
-- Checks: diagnostics, hover, definition, the KF_IMPLICIT_ARGS code action applied to the buffer (then the
-- diagnostic disappears after Neovim's incremental didChange), completion, clean shutdown.
local server = os.getenv('KFUNC_SERVER') or error('set KFUNC_SERVER')
local root = os.getenv('KFUNC_ROOT') or vim.fn.getcwd()
local out_path = os.getenv('KFUNC_E2E_OUT')
local timeout = tonumber(os.getenv('KFUNC_E2E_TIMEOUT_MS') or '20000')

local results = {}
local function out(s) io.stdout:write(s .. '\n') end
local function check(name, ok, detail)
  table.insert(results, { name = name, ok = ok and true or false, detail = detail })
  out((ok and 'ok - ' or 'not ok - ') .. name .. (detail and ok == false and (': ' .. tostring(detail)) or ''))
end
local function finish()
  local failed = 0
  for _, r in ipairs(results) do if not r.ok then failed = failed + 1 end end
  if out_path then
    local f = io.open(out_path, 'w')
    f:write(vim.fn.json_encode({ passed = #results - failed, failed = failed, tests = results }))
    f:close()
  end
  out(string.format('%d passed, %d failed', #results - failed, failed))
  vim.cmd(failed == 0 and 'qall!' or 'cquit 1')
end

local function find(bufnr, needle)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local s = l:find(needle, 1, true)
    if s then return i - 1, s - 1 end
  end
  error('not found: ' .. needle)
end

local function codes(bufnr)
  local set = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do set[tostring(d.code)] = true end
  return set
end

local function request(bufnr, method, params)
  local responses = vim.lsp.buf_request_sync(bufnr, method, params, timeout)
  for _, resp in pairs(responses or {}) do
    if resp.error then error(method .. ': ' .. vim.inspect(resp.error)) end
    return resp.result
  end
end

local function run()
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local client_id = vim.lsp.start_client({
    name = 'kfunc-lsp',
    cmd = { 'node', server, '--stdio' },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = 'kernel' } },
    settings = { kfuncLsp = { kernelVersion = 'auto' } },
  })
  check('server starts', client_id ~= nil)
  vim.lsp.buf_attach_client(bufnr, client_id)

  local got = vim.wait(timeout, function() return codes(bufnr)['implicit-without-flag'] ~= nil end, 50)
  check('publishes implicit-without-flag', got, vim.inspect(codes(bufnr)))

  local l, c = find(bufnr, 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)')
  local hover = request(bufnr, 'textDocument/hover', { textDocument = { uri = uri }, position = { line = l, character = c + 22 } })
  local value = hover and hover.contents and hover.contents.value or ''
  check('hover shows the vmlinux.h line', value:find('extern int bpf_kfunc_aux_no_flag(int a, struct bpf_prog_aux *aux) __weak __ksym;', 1, true) ~= nil, value)

  local dl = find(bufnr, 'bpf_kfunc_aux_no_flag(int a')
  local defs = request(bufnr, 'textDocument/definition', { textDocument = { uri = uri }, position = { line = l, character = c + 22 } })
  check('definition from the set entry', defs and defs[1] and defs[1].range.start.line == dl, vim.inspect(defs))

  local fl, fc = find(bufnr, 'bpf_kfunc_two_aux, KF_')
  local completion = request(bufnr, 'textDocument/completion', { textDocument = { uri = uri }, position = { line = fl, character = fc + #'bpf_kfunc_two_aux, KF_' } })
  local labels = {}
  for _, item in ipairs((completion and completion.items) or completion or {}) do labels[item.label] = true end
  check('completes KF_* flags', labels['KF_IMPLICIT_ARGS'] == true and labels['KF_TRUSTED_ARGS'] == nil)

  local diag
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do if d.code == 'implicit-without-flag' then diag = d end end
  local range = { start = { line = diag.lnum, character = diag.col }, ['end'] = { line = diag.end_lnum, character = diag.end_col } }
  local actions = request(bufnr, 'textDocument/codeAction', { textDocument = { uri = uri }, range = range, context = { diagnostics = {}, only = { 'quickfix' } } }) or {}
  local fix
  for _, a in ipairs(actions) do if a.title == 'Add KF_IMPLICIT_ARGS to BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)' then fix = a end end
  check('offers the KF_IMPLICIT_ARGS quick fix', fix ~= nil, vim.inspect(actions))
  if fix then
    vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
    local line = vim.api.nvim_buf_get_lines(bufnr, l, l + 1, false)[1]
    check('the edit lands in the buffer', line == 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag, KF_IMPLICIT_ARGS)', line)
    local gone = vim.wait(timeout, function()
      local set = codes(bufnr)
      return set['implicit-without-flag'] == nil and set['implicit-not-trailing'] ~= nil
    end, 50)
    check('the diagnostic disappears after the edit', gone, vim.inspect(codes(bufnr)))
  end

  vim.lsp.stop_client(client_id)
  local stopped = vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
  check('server shuts down', stopped)
  finish()
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    local ok, e = pcall(run)
    if not ok then
      check('no Lua error', false, tostring(e))
      finish()
    end
  end,
})
