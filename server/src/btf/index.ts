// BTF reader: ELF and BTF parsing, C rendering of BTF types, .BTF_ids sets, kfunc discovery.
export { BtfError } from './errors';
export { ElfFile, isElf, type ElfSection, type ElfSymbol } from './elf';
export {
  Btf, BTF_KIND, BTF_MAGIC, BTF_FUNC_LINKAGE, btfKindName,
  type BtfType, type BtfTypeOf, type BtfKindName, type BtfDeclTag, type BtfMember, type BtfParam, type BtfParseOptions,
} from './btf';
export {
  renderType, renderDeclaration, renderFunction, renderPrototype, canonicalIntName, canonicalizeTypeString, formatDeclaration,
  type RenderedPrototype, type RenderedParam,
} from './render';
export {
  readBtfIdSets, findSet8sBySymbols, scanSet8s, readSet8, BTF_SET8_KFUNCS, BTF_IDS_SECTION,
  type BtfIdSet8, type BtfIdSet8Entry, type BtfIdSets, type IsFuncId,
} from './btfIds';
export {
  loadBtfFile, collectKfuncs, kfuncSets, findFunction, kfuncSummary, DECL_TAG_KFUNC, DECL_TAG_FASTCALL,
  type LoadedBtf, type LoadOptions, type BtfKfunc, type KfuncParam, type KfuncSetRef, type BtfFunctionInfo,
} from './kfuncs';
